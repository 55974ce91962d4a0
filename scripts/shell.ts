// The `heliosdb` command (package.json "bin": dist/shell.js, built from this
// file by scripts/build.mjs; `npm run shell -- ARGS` runs it from source).
// The program itself is sql/shell/main.ts; this module is also the shell's
// worker thread (main.ts starts it again with new Worker(import.meta.url)).
//
//   npm run shell -- ehr.db --key-file /secure/ehr.key
//   heliosdb a.db --key-file k .dump | heliosdb b.db --key-file k --create
import { isShellWorker, main, workerMain } from '../sql/shell/main.ts';

if (isShellWorker()) await workerMain();
else process.exitCode = await main(process.argv.slice(2), new URL(import.meta.url));
