// The hand-written message constructors must stay identical to protobuf-es create(): if a field
// is added to client.proto and not to messages.ts, decoded messages would silently lack it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, type DescMessage } from '@bufbuild/protobuf';
import * as pb from '../src/gen/centrifugal/centrifuge/protocol/client_pb.js';
import * as m from '../src/messages.js';

test('message factories - each equals create(Schema) for its message', () => {
  const factories = Object.entries(m).filter(([k]) => k.startsWith('new')) as [string, () => object][];
  const schemas = Object.entries(pb).filter(([k]) => k.endsWith('Schema')) as [string, DescMessage][];
  // One factory per message of the client protocol, no more, no less.
  assert.deepEqual(
    factories.map(([k]) => k.slice(3)).sort(),
    schemas.map(([k]) => k.slice(0, -'Schema'.length)).sort(),
  );
  for (const [name, make] of factories) {
    const schema = (pb as unknown as Record<string, DescMessage>)[name.slice(3) + 'Schema'];
    assert.ok(schema, name);
    assert.deepEqual(make(), create(schema), `${name}() differs from create(${schema.typeName})`);
  }
});

test('message factories - return fresh containers on every call', () => {
  const a = m.newPublication();
  const b = m.newPublication();
  a.tags['x'] = 'y';
  assert.deepEqual(b.tags, {});
  const s1 = m.newSubscribeResult();
  s1.publications.push(m.newPublication());
  assert.equal(m.newSubscribeResult().publications.length, 0);
});
