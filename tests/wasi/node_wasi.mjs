// Run a WASI module under Node.js's WASI with one preopen (/data) and the
// given arguments, as the comparison peer of `bailey run`.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { argv } from 'node:process';

const [, , wasmPath, dir, ...args] = argv;
const wasi = new WASI({
  version: 'preview1',
  args: ['main.wasm', ...args],
  env: {},
  preopens: { '/data': dir },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(wasmPath));
// wasiImport works on Node 18 (Debian 12's) and later; getImportObject() only from 19.8.
const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport });
process.exitCode = wasi.start(instance);
