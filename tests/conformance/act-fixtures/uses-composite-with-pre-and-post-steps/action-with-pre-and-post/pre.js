// Pre stage: only prints.
console.log('pre');
