'use strict';
const path = require('path');
require(path.join(__dirname, 'check-cache.js'))('pre');
