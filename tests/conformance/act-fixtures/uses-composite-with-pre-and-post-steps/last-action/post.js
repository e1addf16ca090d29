// Post stage (runs last, as post stages run in reverse order): STEP_OUTPUT_TEST must show the
// main stages in order and then the post stages in reverse order.
'use strict';
const want = 'empty;step1;step2;step2-post;step1-post';
const got = process.env.STEP_OUTPUT_TEST;
if (got !== want) throw new Error(`STEP_OUTPUT_TEST is ${JSON.stringify(got)}, want ${want}`);
