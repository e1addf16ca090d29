// Post stage: fails when the step's `fail` input is "true", else does nothing.
'use strict';
if (process.env.INPUT_FAIL === 'true') {
  console.log('post stage asked to fail (input fail is true)');
  process.exit(1);
}
