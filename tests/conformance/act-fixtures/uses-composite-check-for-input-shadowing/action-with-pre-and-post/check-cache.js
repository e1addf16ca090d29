// Shared by pre.js, main.js and post.js: INPUT_CACHE must be JSON for a boolean, i.e. the
// nested action sees its own `cache` input (or the value passed in `with:`), never the
// enclosing composite action's input of the same name.
'use strict';
const fs = require('fs');

module.exports = function checkCache(stage) {
  const raw = process.env.INPUT_CACHE;
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    parsed = undefined;
  }
  if (typeof parsed !== 'boolean') {
    console.log(`::error::${stage}: INPUT_CACHE is ${JSON.stringify(raw)}, not a boolean`);
    process.exit(1);
  }
  console.log(`${stage}: INPUT_CACHE=${raw}`);
};

// Writes NAME=value as a line of its own to the $GITHUB_ENV file.
module.exports.exportVariable = function exportVariable(name, value) {
  const file = process.env.GITHUB_ENV;
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const sep = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
  fs.appendFileSync(file, `${sep}${name}=${value}\n`);
};
