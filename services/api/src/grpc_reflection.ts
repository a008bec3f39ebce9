/**
 * GRPC server reflection (grpc.reflection.v1alpha and v1, the same messages), so grpcurl and
 * friends can list and call CentrifugoApi without the .proto: list_services, file_by_filename and
 * file_containing_symbol, answered with the FileDescriptorProtos of the generated code (the file
 * and, transitively, its dependencies). The few reflection messages are encoded by hand with the
 * protobuf wire helpers rather than generated, to keep them out of the shared proto tree.
 */
import { toBinary } from '@bufbuild/protobuf';
import type { DescFile, DescService } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';

interface ReflectionRequest {
  host: string;
  /** The request's encoded bytes, echoed back as original_request. */
  raw: Uint8Array;
  kind: 'file_by_filename' | 'file_containing_symbol' | 'list_services' | 'other';
  value: string;
}

function decodeRequest(buf: Buffer): ReflectionRequest {
  const r = new BinaryReader(buf);
  const out: ReflectionRequest = { host: '', raw: new Uint8Array(buf), kind: 'other', value: '' };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) out.host = r.string();
    else if (no === 3 && wt === WireType.LengthDelimited) { out.kind = 'file_by_filename'; out.value = r.string(); }
    else if (no === 4 && wt === WireType.LengthDelimited) { out.kind = 'file_containing_symbol'; out.value = r.string(); }
    else if (no === 7 && wt === WireType.LengthDelimited) { out.kind = 'list_services'; out.value = r.string(); }
    else { r.skip(wt, no); if (no === 5 || no === 6) out.kind = 'other'; }
  }
  return out;
}

/** Every file of `services` and their dependencies, by name. */
function collectFiles(services: readonly DescService[]): Map<string, DescFile> {
  const files = new Map<string, DescFile>();
  const add = (f: DescFile): void => {
    if (files.has(f.proto.name)) return;
    files.set(f.proto.name, f);
    for (const d of f.dependencies) add(d);
  };
  for (const s of services) add(s.file);
  return files;
}

function symbolsOf(file: DescFile): Set<string> {
  const out = new Set<string>();
  for (const s of file.services) {
    out.add(s.typeName);
    for (const m of s.methods) out.add(`${s.typeName}.${m.name}`);
  }
  const addMessage = (m: DescFile['messages'][number]): void => {
    out.add(m.typeName);
    for (const n of m.nestedMessages) addMessage(n);
    for (const e of m.nestedEnums) out.add(e.typeName);
  };
  for (const m of file.messages) addMessage(m);
  for (const e of file.enums) out.add(e.typeName);
  return out;
}

export function reflectionService(services: readonly DescService[]): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const files = collectFiles(services);
  const bySymbol = new Map<string, DescFile>();
  for (const f of files.values()) for (const s of symbolsOf(f)) bySymbol.set(s, f);
  const encoded = new Map<string, Uint8Array>([...files].map(([name, f]) => [name, toBinary(FileDescriptorProtoSchema, f.proto)]));

  /** The file with its transitive dependencies, the file first. */
  const withDeps = (f: DescFile): Uint8Array[] => {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const walk = (x: DescFile): void => {
      if (seen.has(x.proto.name)) return;
      seen.add(x.proto.name);
      out.push(encoded.get(x.proto.name) ?? toBinary(FileDescriptorProtoSchema, x.proto));
      for (const d of x.dependencies) walk(d);
    };
    walk(f);
    return out;
  };

  const answer = (req: ReflectionRequest): Buffer => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).string(req.host);
    w.tag(2, WireType.LengthDelimited).bytes(req.raw);
    const error = (code: number, message: string): void => {
      w.tag(7, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int32(code).tag(2, WireType.LengthDelimited).string(message).join();
    };
    const fileResponse = (f: DescFile): void => {
      w.tag(4, WireType.LengthDelimited).fork();
      for (const b of withDeps(f)) w.tag(1, WireType.LengthDelimited).bytes(b);
      w.join();
    };
    switch (req.kind) {
      case 'list_services':
        w.tag(6, WireType.LengthDelimited).fork();
        for (const s of [...services.map((x) => x.typeName), 'grpc.reflection.v1alpha.ServerReflection', 'grpc.reflection.v1.ServerReflection']) {
          w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(s).join();
        }
        w.join();
        break;
      case 'file_by_filename': {
        const f = files.get(req.value);
        if (f) fileResponse(f);
        else error(grpc.status.NOT_FOUND, `file not found: ${req.value}`);
        break;
      }
      case 'file_containing_symbol': {
        const f = bySymbol.get(req.value.replace(/^\./, ''));
        if (f) fileResponse(f);
        else error(grpc.status.NOT_FOUND, `symbol not found: ${req.value}`);
        break;
      }
      default:
        error(grpc.status.UNIMPLEMENTED, 'not implemented');
    }
    return Buffer.from(w.finish());
  };

  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const pkg of ['grpc.reflection.v1alpha', 'grpc.reflection.v1']) {
    const key = `${pkg}.ServerReflectionInfo`;
    definition[key] = {
      path: `/${pkg}.ServerReflection/ServerReflectionInfo`,
      requestStream: true,
      responseStream: true,
      requestSerialize: (v: Buffer) => v,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (v: Buffer) => v,
      responseDeserialize: (b: Buffer) => b,
    };
    implementation[key] = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (buf: Buffer) => {
        try {
          call.write(answer(decodeRequest(buf)));
        } catch {
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'malformed reflection request' });
        }
      });
      call.on('end', () => call.end());
    };
  }
  return { definition, implementation };
}
