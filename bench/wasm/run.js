// Node.js peer for bench/wasm/run.sh: instantiate the same module, time one call.
// usage: node run.js FILE.wasm EXPORT ARG  ->  prints "RESULT SECONDS"
const fs = require('fs');
const [file, name, arg] = process.argv.slice(2);
const mod = new WebAssembly.Module(fs.readFileSync(file));
const inst = new WebAssembly.Instance(mod, {});
const t0 = process.hrtime.bigint();
const r = inst.exports[name](Number(arg));
const t1 = process.hrtime.bigint();
console.log(`${r >>> 0} ${(Number(t1 - t0) / 1e9).toFixed(4)}`);
