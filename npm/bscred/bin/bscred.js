#!/usr/bin/env node
// bscred's npm launcher. The binary comes in one package per platform
// (@bscred/cli-<os>-<cpu>), listed as optional dependencies with `os` and
// `cpu` fields, so npm, yarn and pnpm install only the one that runs here:
// no postinstall script, no download, nothing from the network at run time.
// This file finds that binary and runs it with the same arguments, standard
// streams, environment and exit status.
'use strict';

const path = require('node:path');

// process.platform and process.arch → the package holding the binary.
const PACKAGES = {
  'linux x64': '@bscred/cli-linux-x64',
  'linux arm64': '@bscred/cli-linux-arm64',
  'darwin x64': '@bscred/cli-darwin-x64',
  'darwin arm64': '@bscred/cli-darwin-arm64',
  'win32 x64': '@bscred/cli-win32-x64',
};

/** A failure of the launcher itself, said as bscred says errors. */
class LaunchError extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
  }
}

/**
 * The path of the bscred binary for `platform` and `arch`, found with
 * `resolvePackage` (require.resolve, or a stand-in in tests).
 */
function binaryPath(platform, arch, resolvePackage) {
  const name = PACKAGES[`${platform} ${arch}`];
  if (!name) {
    throw new LaunchError(
      `there is no bscred build for ${platform} ${arch} in the npm package`,
      'build it from source: `cargo install --locked bscred`',
    );
  }
  let manifest;
  try {
    manifest = resolvePackage(`${name}/package.json`);
  } catch {
    throw new LaunchError(
      `the package ${name}, which holds the bscred binary for ${platform} ${arch}, is not installed`,
      'install again without omitting optional dependencies (npm --omit=optional, yarn --ignore-optional, pnpm --no-optional leave it out)',
    );
  }
  return path.join(path.dirname(manifest), platform === 'win32' ? 'bscred.exe' : 'bscred');
}

/** Whether the command line runs `bscred exec`, whose own failures are 125. */
function isExec(args) {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('exec');
}

function fail(error, args) {
  const hint = error.hint ? `bscred: hint: ${error.hint}\n` : '';
  process.stderr.write(`bscred: error: ${error.message}\n${hint}`);
  process.exit(isExec(args) ? 125 : 4);
}

function run() {
  const args = process.argv.slice(2);
  let binary;
  try {
    binary = binaryPath(process.platform, process.arch, require.resolve);
  } catch (error) {
    if (error instanceof LaunchError) fail(error, args);
    throw error;
  }
  const { spawn } = require('node:child_process');
  const child = spawn(binary, args, { stdio: 'inherit', windowsHide: false });
  // Ctrl-C and Ctrl-\ reach the child from the terminal; the launcher waits
  // for it to decide. Signals sent to the launcher alone are passed on.
  const ignore = () => {};
  const forward = (signal) => () => child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));
  child.on('error', (error) => {
    fail(new LaunchError(`cannot run ${binary}: ${error.message}`), args);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // End the way the child ended, so the shell sees the same signal.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code);
  });
}

if (require.main === module) {
  run();
}

module.exports = { binaryPath, isExec, PACKAGES, LaunchError };
