#!/usr/bin/env node
// Validate glb files with the Khronos glTF validator (viewer/node_modules/gltf-validator).
//
//   node scripts/validate_glb.js FILE_OR_DIR ...
//
// Prints one JSON line per file: {"file", "errors", "warnings", "infos", "hints",
// "messages": [first issues]}, then a summary line {"files", "errors"}; exits 1 if any
// file has an error.  Directories are searched recursively for *.glb.
"use strict";

const fs = require("fs");
const path = require("path");
const validator = require(path.join(__dirname, "..", "viewer", "node_modules", "gltf-validator"));

function collect(target, out) {
  const stat = fs.statSync(target);
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(target).sort()) collect(path.join(target, name), out);
  } else if (target.endsWith(".glb") || process.argv.includes(target)) {
    out.push(target);
  }
  return out;
}

async function main() {
  const targets = process.argv.slice(2);
  if (targets.length === 0) {
    console.error("usage: node scripts/validate_glb.js FILE_OR_DIR ...");
    process.exit(2);
  }
  const files = [];
  for (const t of targets) collect(t, files);
  let errors = 0;
  for (const file of files) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const report = await validator.validateBytes(bytes, { uri: path.basename(file), maxIssues: 50 });
    const issues = report.issues;
    errors += issues.numErrors;
    console.log(JSON.stringify({
      file,
      errors: issues.numErrors,
      warnings: issues.numWarnings,
      infos: issues.numInfos,
      hints: issues.numHints,
      messages: issues.messages.slice(0, 20).map((m) => ({
        code: m.code, severity: m.severity, pointer: m.pointer, message: m.message,
      })),
    }));
  }
  console.log(JSON.stringify({ files: files.length, errors }));
  process.exit(errors ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
