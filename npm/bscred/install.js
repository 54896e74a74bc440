// An optional speed-up, run as `postinstall` where install scripts are
// allowed. Starting Node to run bin/bscred.js costs tens of milliseconds on
// every `bscred exec`; this replaces bin/bscred.js with the platform
// package's binary itself, so node_modules/.bin/bscred runs bscred directly.
// It only copies (or hard-links) a file npm already installed: nothing is
// downloaded. Where it does not run (--ignore-scripts, pnpm's default, Yarn
// with scripts off) or does not apply (Windows, whose npm shims run the file
// with node; Yarn Plug'n'Play, which runs bins from its own cache), the
// JavaScript launcher does the same job, more slowly. Any failure leaves the
// launcher in place.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

function link() {
  if (process.platform === 'win32' || process.versions.pnp) return 'kept the launcher';
  const { binaryPath } = require('./bin/bscred.js');
  const binary = binaryPath(process.platform, process.arch, require.resolve);
  // Only a binary that runs here replaces the launcher.
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0 || !probe.stdout.startsWith('bscred ')) return 'kept the launcher';
  const target = path.join(__dirname, 'bin', 'bscred.js');
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    fs.linkSync(binary, temporary);
  } catch {
    fs.copyFileSync(binary, temporary);
  }
  fs.chmodSync(temporary, 0o755);
  // A rename replaces the directory entry only: a store shared by hard
  // links (pnpm) keeps its own copy of the launcher.
  fs.renameSync(temporary, target);
  return 'linked the binary';
}

try {
  link();
} catch {
  // The JavaScript launcher stays, and works.
}
