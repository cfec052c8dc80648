/** `npm run bench`: the in-process core benchmark. Protocol benchmarks: see docs/benchmarks.md. */
await import('./core-bench.js');
