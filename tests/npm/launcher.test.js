// The npm launcher's choices, with the platform faked: which package and
// file it runs on each platform npm installs bscred for, and what it says
// when there is none. Run with `node --test tests/npm/` (release-check.sh).
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const test = require('node:test');

const { binaryPath, isExec, PACKAGES, LaunchError } = require('../../npm/bscred/bin/bscred.js');

/** A stand-in for require.resolve that knows the packages in `installed`. */
function resolver(installed) {
  return (request) => {
    const name = request.replace(/\/package\.json$/, '');
    if (!installed.includes(name)) {
      const error = new Error(`Cannot find module '${request}'`);
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    }
    return path.join('/project/node_modules', name, 'package.json');
  };
}

test('each supported platform runs the binary of its own package', () => {
  const cases = [
    ['linux', 'x64', '@bscred/cli-linux-x64', 'bscred'],
    ['linux', 'arm64', '@bscred/cli-linux-arm64', 'bscred'],
    ['darwin', 'x64', '@bscred/cli-darwin-x64', 'bscred'],
    ['darwin', 'arm64', '@bscred/cli-darwin-arm64', 'bscred'],
    ['win32', 'x64', '@bscred/cli-win32-x64', 'bscred.exe'],
  ];
  assert.equal(Object.keys(PACKAGES).length, cases.length);
  for (const [platform, arch, name, file] of cases) {
    const found = binaryPath(platform, arch, resolver([name]));
    assert.equal(found, path.join('/project/node_modules', name, file), `${platform} ${arch}`);
  }
});

test('another platform package installed beside it is never picked', () => {
  assert.throws(
    () => binaryPath('darwin', 'arm64', resolver(['@bscred/cli-darwin-x64'])),
    (error) => error instanceof LaunchError && error.message.includes('@bscred/cli-darwin-arm64'),
  );
});

test('a platform without a build says so and points at cargo', () => {
  assert.throws(
    () => binaryPath('freebsd', 'x64', resolver([])),
    (error) =>
      error instanceof LaunchError &&
      error.message === 'there is no bscred build for freebsd x64 in the npm package' &&
      error.hint.includes('cargo install --locked bscred'),
  );
});

test('a platform package left out of the install names the flag that did it', () => {
  assert.throws(
    () => binaryPath('linux', 'x64', resolver([])),
    (error) =>
      error instanceof LaunchError &&
      error.message.includes('@bscred/cli-linux-x64') &&
      error.hint.includes('--omit=optional'),
  );
});

test('exec is recognised before -- only, for its 125', () => {
  assert.equal(isExec(['exec', '--', 'yarn', 'dev']), true);
  assert.equal(isExec(['-p', 'work', 'exec', '--', 'true']), true);
  assert.equal(isExec(['get', 'GITHUB_TOKEN']), false);
  assert.equal(isExec(['run', '--', 'exec']), false);
});
