import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greet } from '../src/index.js';
test('smoke - cross-package import resolves through the source condition', () => {
  assert.equal(greet(), 'hi');
});
