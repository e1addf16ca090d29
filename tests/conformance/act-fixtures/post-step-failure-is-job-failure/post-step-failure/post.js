// Post stage: always fails, so the job's result must become failure.
'use strict';
console.log('post stage of post-step-failure: failing on purpose');
process.exit(1);
