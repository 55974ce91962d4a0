// The `heliosdb` command (package.json "bin": dist/shell.js, built from this
// file by scripts/build.mjs; `npm run shell -- ARGS` runs it from source).
// The program itself is sql/shell/main.ts.
//
//   npm run shell -- ehr.db --key-file /secure/ehr.key
//   heliosdb a.db --key-file k .dump | heliosdb b.db --key-file k --create
import { main } from '../sql/shell/main.ts';

process.exitCode = await main(process.argv.slice(2));
