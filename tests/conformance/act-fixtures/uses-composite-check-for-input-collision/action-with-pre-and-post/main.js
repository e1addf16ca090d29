'use strict';
const path = require('path');
const check = require(path.join(__dirname, 'check-cache.js'));
check('main');
check.exportVariable('TEST', process.env.INPUT_STEP || '');
