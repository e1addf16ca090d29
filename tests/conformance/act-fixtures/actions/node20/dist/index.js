// Stand-in for act's bundled hello-world action (see FIXTURES-OMITTED.tsv); written for Gantry,
// plain node with no packages. Greets the `who-to-greet` input, sets the `time` output and
// prints the event payload; any exception marks the step failed.
'use strict';
const fs = require('fs');

function input(name) {
  const value = process.env['INPUT_' + name.replace(/ /g, '_').toUpperCase()] || '';
  return value.trim();
}

function setOutput(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) throw new Error('GITHUB_OUTPUT is not set');
  fs.appendFileSync(file, `${name}=${value}\n`);
}

try {
  const who = input('who-to-greet');
  console.log(`Hello ${who}!`);
  setOutput('time', new Date().toTimeString());
  const eventPath = process.env.GITHUB_EVENT_PATH;
  const payload =
      eventPath && fs.existsSync(eventPath) ? JSON.parse(fs.readFileSync(eventPath, 'utf8')) : {};
  console.log(`The event payload: ${JSON.stringify(payload, undefined, 2)}`);
} catch (error) {
  console.log(`::error::${error.message}`);
  process.exitCode = 1;
}
