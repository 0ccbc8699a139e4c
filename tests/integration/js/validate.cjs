// Validate a JSON file against a JSON schema with ajv (npm), for viewers.sh.
// Usage: NODE_PATH=.../node_modules node validate.cjs SCHEMA FILE
// Exit 0 if valid; otherwise print the first errors and exit 1.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');

const schema = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const data = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
if (validate(data)) {
  console.log('valid');
  process.exit(0);
}
console.log(JSON.stringify(validate.errors.slice(0, 10), null, 1));
process.exit(1);
