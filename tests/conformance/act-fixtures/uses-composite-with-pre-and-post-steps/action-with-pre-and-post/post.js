// Post stage: extends the current last line of $GITHUB_ENV (no newline) with ";<step>-post".
'use strict';
require('fs').appendFileSync(process.env.GITHUB_ENV, `;${process.env.INPUT_STEP}-post`);
