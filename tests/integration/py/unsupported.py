# Workload for unsupported.sh; runs on Python 2.7 too.
import sys

sys.stdout.write("unsupported: stdout line\n")
sys.stdout.flush()
sys.stderr.write("unsupported: stderr line\n")
sys.exit(4)
