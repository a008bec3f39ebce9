import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allChannelsSubject,
  assertValidSubject,
  channelFromSubject,
  channelSubject,
  decodeChannelToken,
  encodeChannelToken,
  subjectMatches,
} from '../src/index.js';

const TOKEN = /^[A-Za-z0-9_:%-]+$/;

test('channel-subject - plain channel names stay readable', () => {
  assert.equal(channelSubject('news'), 'gyre.ch.news');
  assert.equal(channelSubject('chat:room-1_a'), 'gyre.ch.chat:room-1_a');
  assert.equal(channelSubject('prod.gyre', 'news'), 'prod.gyre.ch.news');
});

test('channel-subject - NATS-special and other characters are escaped as UTF-8 bytes', () => {
  assert.equal(encodeChannelToken('a.b'), 'a%2Eb');
  assert.equal(encodeChannelToken('*'), '%2A');
  assert.equal(encodeChannelToken('>'), '%3E');
  assert.equal(encodeChannelToken('a b'), 'a%20b');
  assert.equal(encodeChannelToken('#$,'), '%23%24%2C');
  assert.equal(encodeChannelToken('%'), '%25');
  assert.equal(encodeChannelToken('é'), '%C3%A9');
  assert.equal(encodeChannelToken('🚀'), '%F0%9F%9A%80');
});

test('channel-subject - any channel name round-trips through one valid subject token', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }), (channel) => {
      const token = encodeChannelToken(channel);
      assert.match(token, TOKEN);
      assert.equal(decodeChannelToken(token), channel);
      const subject = channelSubject(channel);
      assertValidSubject(subject, false);
      assert.ok(subjectMatches(allChannelsSubject(), subject), 'exactly one token after the prefix');
      assert.equal(channelFromSubject(subject), channel);
    }),
    { numRuns: 2000 },
  );
});

test('channel-subject - the encoding is canonical: only encoder output decodes', () => {
  for (const bad of ['%2e', '%41', 'a%2', '%ZZ', 'a.b', 'a b', '%C3', '%FF', '']) {
    assert.throws(() => decodeChannelToken(bad), TypeError, JSON.stringify(bad));
  }
  fc.assert(
    fc.property(fc.stringMatching(/^([A-Za-z0-9_:-]|%[0-9A-F]{2}){1,12}$/), (token) => {
      let channel: string;
      try {
        channel = decodeChannelToken(token);
      } catch {
        return; // not encoder output
      }
      assert.equal(encodeChannelToken(channel), token);
    }),
    { numRuns: 2000 },
  );
});

test('channel-subject - channelFromSubject rejects foreign and malformed subjects', () => {
  assert.equal(channelFromSubject('gyre.ch.news'), 'news');
  assert.equal(channelFromSubject('other.ch.news'), null);
  assert.equal(channelFromSubject('gyre.ch.'), null);
  assert.equal(channelFromSubject('gyre.ch.a.b'), null);
  assert.equal(channelFromSubject('gyre.ch.%2e'), null);
  assert.equal(channelFromSubject('prod.gyre.ch.news', 'prod.gyre'), 'news');
  assert.equal(allChannelsSubject('prod.gyre'), 'prod.gyre.ch.*');
});

test('channel-subject - empty names, lone surrogates and bad prefixes are refused', () => {
  assert.throws(() => encodeChannelToken(''), TypeError);
  assert.throws(() => encodeChannelToken('a\uD800b'), /lone surrogate/);
  assert.throws(() => encodeChannelToken('\uDC00'), /lone surrogate/);
  assert.throws(() => channelSubject('bad prefix', 'news'), /invalid bus subject/);
  assert.throws(() => channelSubject('gyre.*', 'news'), /invalid bus subject/);
});
