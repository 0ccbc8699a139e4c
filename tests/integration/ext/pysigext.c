/*
 * A tiny C extension for tests/integration/native.sh, compiled by the test
 * at run time against each interpreter's headers (-g -O2).  burn() burns CPU
 * in a static function that must show up by name and line in the merged
 * stacks; call() calls a Python callable, so that the merged stack has
 * Python frames on both sides of this file's frames.  The checker finds
 * burn_loop's lines by the BURN_BEGIN and BURN_END marker comments.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Spin n rounds; volatile keeps the loop from being removed or folded. */
static __attribute__((noinline)) unsigned long
burn_loop(unsigned long n)	/* BURN_BEGIN */
{
	volatile unsigned long x = 0;
	unsigned long i;

	for (i = 0; i < n; i++)
		x = x * 2654435761UL + i;
	return x;
}	/* BURN_END */

/* Call f(i) for i in range(n); a frame of its own, not inlined. */
static __attribute__((noinline)) PyObject *
call_repeat(PyObject *f, long n)
{
	PyObject *r = NULL;
	long i;

	for (i = 0; i < n; i++) {
		Py_XDECREF(r);
		r = PyObject_CallFunction(f, "l", i);
		if (r == NULL)
			return NULL;
	}
	if (r == NULL)
		Py_RETURN_NONE;
	return r;
}

/* burn(n): burn_loop(n), its result as an int. */
static PyObject *
ext_burn(PyObject *self, PyObject *args)
{
	unsigned long n;

	(void)self;
	if (!PyArg_ParseTuple(args, "k", &n))
		return NULL;
	return PyLong_FromUnsignedLong(burn_loop(n));
}

/* call(f, n): call f(i) for i in range(n), return the last result. */
static PyObject *
ext_call(PyObject *self, PyObject *args)
{
	PyObject *f;
	long n;

	(void)self;
	if (!PyArg_ParseTuple(args, "Ol", &f, &n))
		return NULL;
	if (!PyCallable_Check(f)) {
		PyErr_SetString(PyExc_TypeError, "call: f is not callable");
		return NULL;
	}
	return call_repeat(f, n);
}

static PyMethodDef ext_methods[] = {
	{ "burn", ext_burn, METH_VARARGS, "burn(n): spin n rounds in C" },
	{ "call", ext_call, METH_VARARGS, "call(f, n): f(i) for i in range(n)" },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef ext_module = {
	PyModuleDef_HEAD_INIT, "pysigext", NULL, -1, ext_methods,
	NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit_pysigext(void);

PyMODINIT_FUNC
PyInit_pysigext(void)
{
	return PyModule_Create(&ext_module);
}
