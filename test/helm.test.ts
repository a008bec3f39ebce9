/**
 * The Helm chart (helm/gyre), checked without a cluster: `helm lint` and `helm template` with the
 * default and with non-default values; every rendered object validated offline against the
 * Kubernetes schemas (kubernetes-models); the wiring between objects (each Deployment runs
 * `serve --services <its service>`, mounts the one ConfigMap, probes /ready and /health on the
 * port Gyre serves them on, gets its keys from the Secret); the ConfigMap's config.json loaded by
 * the real loader; and finally the rendered pods emulated as local processes against real
 * nats-server and redis-server, which proves the env names, ports and probes work, not just parse.
 *
 * helm itself: a pinned version built with `go install` into helm/.cache/bin (gitignored) the first
 * time, reused afterwards; GYRE_HELM points at another binary.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { generateConnectToken, generateSubscriptionToken } from '@gyre/auth';
import { loadConfig, type GyreConfig } from '@gyre/config';
import { collect, createCentrifuge, freePort, spawnGyre, startNatsServer, startRedisServer, waitForEvent, type GyreProcess, type ServerHandle } from '@gyre/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const chart = join(root, 'helm/gyre');

/** The helm release this test builds (`go install`), and the Kubernetes version it renders for. */
const HELM_VERSION = 'v3.22.0';
/** k8s.io/client-go of HELM_VERSION is v0.37: helm's own Makefile stamps 1.37 as the default. */
const HELM_K8S_MINOR = '37';
const KUBE_VERSION = '1.30.0';
const cacheBin = join(root, 'helm/.cache/bin');

/** The pinned helm: $GYRE_HELM, or helm/.cache/bin/helm built with `go install` when missing. */
function ensureHelm(): string {
  if (process.env.GYRE_HELM) return process.env.GYRE_HELM;
  const bin = join(cacheBin, 'helm');
  const version = (): string => spawnSync(bin, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (existsSync(bin) && version() === HELM_VERSION) return bin;
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) {
    throw new Error(`helm ${HELM_VERSION} is not in helm/.cache/bin and no Go toolchain is on PATH to build it. Install Go, set GYRE_HELM=/path/to/helm, or run:\n  GOBIN=$PWD/helm/.cache/bin go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`);
  }
  mkdirSync(cacheBin, { recursive: true });
  const x = (name: string, value: string): string => `-X helm.sh/helm/v3/${name}=${value}`;
  const ldflags = ['-s -w', x('internal/version.version', HELM_VERSION),
    x('pkg/chartutil.k8sVersionMajor', '1'), x('pkg/chartutil.k8sVersionMinor', HELM_K8S_MINOR),
    x('pkg/lint/rules.k8sVersionMajor', '1'), x('pkg/lint/rules.k8sVersionMinor', HELM_K8S_MINOR)].join(' ');
  const started = Date.now();
  // Cold, this compiles all of client-go: without optimisation (-N -l, fine for a CLI run a few
  // times) and without GC in the compiler (~0.8 GB peak per compile) it takes about a minute on
  // two cores instead of two.
  const r = spawnSync('go', ['install', '-trimpath', `-ldflags=${ldflags}`, '-gcflags=all=-N -l', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    cwd: tmpdir(), encoding: 'utf8', timeout: 600_000,
    env: { ...process.env, GOBIN: cacheBin, CGO_ENABLED: '0', GOGC: 'off', GOFLAGS: '-buildvcs=false' },
  });
  if (r.status !== 0) throw new Error(`go install helm ${HELM_VERSION} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  if (version() !== HELM_VERSION) throw new Error(`built helm reports ${version()}, expected ${HELM_VERSION}`);
  console.log(`installed helm ${HELM_VERSION} into helm/.cache/bin in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

let helm: string;
let scratch: string;

before(() => {
  helm = ensureHelm();
  scratch = mkdtempSync(join(tmpdir(), 'gyre-helm-'));
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(helm, args, { encoding: 'utf8', cwd: root, env: { ...process.env, HELM_CACHE_HOME: join(scratch, 'cache'), HELM_CONFIG_HOME: join(scratch, 'config'), HELM_DATA_HOME: join(scratch, 'data') } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function valuesFile(name: string, values: unknown): string {
  const path = join(scratch, `${name}.yaml`);
  writeFileSync(path, stringify(values));
  return path;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests are checked field by field
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

/** `helm template` → the objects, each validated against its Kubernetes schema. */
function render(args: string[] = []): K8sObject[] {
  const r = runHelm(['template', 'rel', chart, '--namespace', 'gyre', '--kube-version', KUBE_VERSION, ...args]);
  assert.equal(r.status, 0, `helm template failed:\n${r.stderr}`);
  const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
  for (const o of objects) validateObject(o);
  return objects;
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

function validateObject(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  assert.ok(Model, `no schema known for ${o.apiVersion} ${o.kind} (${o.metadata?.name})`);
  try {
    new Model(o as never).validate();
  } catch (err) {
    assert.fail(`${o.kind} ${o.metadata.name}: ${(err as Error).message}`);
  }
}

const ofKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
const component = (o: K8sObject): string => o.metadata.labels?.['app.kubernetes.io/component'] ?? '';

function only(objects: K8sObject[], kind: string, comp?: string): K8sObject {
  const found = ofKind(objects, kind).filter((o) => comp === undefined || component(o) === comp);
  assert.equal(found.length, 1, `one ${kind}${comp ? ` for ${comp}` : ''}, got ${found.map((o) => o.metadata.name).join(', ') || 'none'}`);
  return found[0]!;
}

function configJson(objects: K8sObject[]): string {
  return only(objects, 'ConfigMap').data['config.json'] as string;
}

/** Loads the ConfigMap's config.json with the real loader, strictly, with `env` as the pod's environment. */
function loadRendered(objects: K8sObject[], env: Record<string, string> = {}): GyreConfig {
  const path = join(scratch, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, configJson(objects));
  return loadConfig({ path, env, strict: true, requireFile: true }).config;
}

/** The pod's environment with secretKeyRefs resolved from `secrets` (name → key → value). */
function podEnv(container: K8sObject, secrets: Record<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      const value = secrets[name]?.[key];
      assert.ok(value !== undefined, `${e.name}: Secret ${name} has no key ${key}`);
      env[e.name] = value;
    } else assert.fail(`unexpected env source for ${e.name}`);
  }
  return env;
}

function secretData(objects: K8sObject[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const s of ofKind(objects, 'Secret')) {
    out[s.metadata.name] = Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }
  return out;
}

interface Expect {
  services: string[];
  http: number;
  internal: number;
  configMap: string;
}

/** The wiring every render must have, whatever the values. */
function checkWiring(objects: K8sObject[], x: Expect): void {
  const cm = only(objects, 'ConfigMap');
  assert.equal(cm.metadata.name, x.configMap);
  const deployments = ofKind(objects, 'Deployment');
  assert.deepEqual(deployments.map(component).sort(), [...x.services].sort());
  const config = loadRendered(objects, {});
  const drainSeconds = config.shutdown.timeout / 1000;
  for (const d of deployments) {
    const name = component(d);
    const pod = d.spec.template.spec;
    assert.equal(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.deepEqual(c.args, ['serve', '-c', '/etc/gyre/config.json', '--services', name], `${name} runs its service`);
    // The selector picks this Deployment's pods and no other component's.
    for (const [k, v] of Object.entries(d.spec.selector.matchLabels as Record<string, string>)) assert.equal(d.spec.template.metadata.labels[k], v, `${name} selector ${k}`);
    assert.equal(d.spec.selector.matchLabels['app.kubernetes.io/component'], name);

    const configVolume = pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap);
    assert.equal(configVolume.configMap.name, cm.metadata.name, `${name} mounts the one ConfigMap`);
    assert.deepEqual(c.volumeMounts.find((m: { name: string }) => m.name === configVolume.name), { name: configVolume.name, mountPath: '/etc/gyre', readOnly: true });
    assert.equal(d.spec.template.metadata.annotations['checksum/config'], createHash('sha256').update(cm.data['config.json'].replace(/\n$/, '')).digest('hex'), `${name}: a config change rolls the pods`);

    const portOf = (p: string | number): number => (typeof p === 'number' ? p : c.ports.find((cp: { name: string }) => cp.name === p)?.containerPort);
    assert.equal(portOf('http'), x.http);
    assert.equal(portOf('internal'), x.internal);
    assert.equal(config.http_server.port, x.http, 'Gyre listens where the container port says');
    assert.equal(Number(config.http_server.internal_port), x.internal, 'health and API on the internal port');
    assert.equal(c.readinessProbe.httpGet.path, '/ready');
    assert.equal(portOf(c.readinessProbe.httpGet.port), x.internal, `${name} readiness on the internal port`);
    assert.equal(c.livenessProbe.httpGet.path, config.health.handler_prefix);
    assert.equal(portOf(c.livenessProbe.httpGet.port), x.internal);
    assert.equal(c.startupProbe.httpGet.path, '/health');

    // Stop budget: preStop sleep, then Gyre's drain window, inside the grace period.
    const preStop = c.lifecycle.preStop;
    const sleep = preStop.sleep ? preStop.sleep.seconds : Number(preStop.exec.command[1]);
    if (preStop.exec) assert.equal(preStop.exec.command[0], 'sleep');
    assert.ok(sleep > 0, 'endpoints drain before SIGTERM');
    assert.ok(pod.terminationGracePeriodSeconds > sleep + drainSeconds, `${name}: grace ${pod.terminationGracePeriodSeconds} > ${sleep} + ${drainSeconds}`);

    // Hardened: non-root, read-only root, no capabilities; /tmp writable for tsx's cache.
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    const tmp = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
    assert.ok(pod.volumes.find((v: { name: string; emptyDir?: unknown }) => v.name === tmp?.name)?.emptyDir, `${name}: /tmp is an emptyDir`);
    assert.equal(pod.enableServiceLinks, false);
    assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, `${name} has requests and a memory limit`);

    // Keys come from a Secret; only the service that needs a key gets it.
    const env = new Map<string, { valueFrom?: { secretKeyRef?: { name: string; key: string } } }>((c.env ?? []).map((e: { name: string }) => [e.name, e]));
    assert.equal(env.has('CENTRIFUGO_CLIENT_TOKEN_HMAC_SECRET_KEY'), name === 'edge', `${name}: HMAC key`);
    assert.equal(env.has('CENTRIFUGO_HTTP_API_KEY'), name === 'api', `${name}: API key`);
    for (const e of env.values()) if (e.valueFrom) assert.ok(e.valueFrom.secretKeyRef);
  }
  for (const key of ['hmac_secret_key', '"key"', 'password', '"secret"']) assert.ok(!cm.data['config.json'].includes(key), `no ${key} in the ConfigMap`);

  // Services select pods of one component and target ports the pods name.
  for (const s of ofKind(objects, 'Service')) {
    const d = only(objects, 'Deployment', component(s));
    for (const [k, v] of Object.entries(s.spec.selector as Record<string, string>)) assert.equal(d.spec.template.metadata.labels[k], v, `${s.metadata.name} selects ${component(s)}`);
    const names = d.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
    for (const p of s.spec.ports) assert.ok(names.includes(p.targetPort), `${s.metadata.name}: ${p.targetPort} is a container port`);
  }
  for (const p of ofKind(objects, 'PodDisruptionBudget')) {
    const d = only(objects, 'Deployment', component(p));
    assert.deepEqual(p.spec.selector.matchLabels, d.spec.selector.matchLabels);
    assert.equal(Number(p.spec.minAvailable !== undefined) + Number(p.spec.maxUnavailable !== undefined), 1);
  }
  for (const h of ofKind(objects, 'HorizontalPodAutoscaler')) {
    const d = only(objects, 'Deployment', component(h));
    assert.deepEqual(h.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
    assert.equal(d.spec.replicas, undefined, `${d.metadata.name}: the HPA owns replicas`);
  }
  const sa = pod0(deployments).serviceAccountName;
  for (const d of deployments) assert.equal(d.spec.template.spec.serviceAccountName, sa);
}

const pod0 = (deployments: K8sObject[]) => deployments[0]!.spec.template.spec;

const NON_DEFAULT = {
  fullnameOverride: 'rt',
  image: { repository: 'registry.example.com/gyre', tag: '1.2.3', pullPolicy: 'Always' },
  nats: { url: 'nats://nats.messaging:4222', existingSecret: 'gyre-deps', existingSecretKey: 'nats' },
  redis: { address: 'redis://redis.messaging:6379', existingSecret: 'gyre-deps', existingSecretKey: 'redis' },
  secrets: { existingSecret: 'gyre-keys' },
  ports: { http: 8080, internal: 9090, grpcApi: 10001 },
  grpcApi: { enabled: true },
  shutdown: { timeoutSeconds: 30, preStopSleepSeconds: 15, preStopMode: 'sleep' },
  terminationGracePeriodSeconds: 60,
  config: {
    log: { level: 'info' },
    client: { allowed_origins: ['https://app.example.com'], ping_interval: '20s' },
    channel: { namespaces: [{ name: 'chat', presence: true, history_size: 50, history_ttl: '60s', force_recovery: true }] },
    // Chart-owned: overridden by the chart.
    http_server: { port: 1234 },
    gyre: { bus: { type: 'memory' } },
  },
  serviceAccount: { create: false, name: 'existing-sa' },
  metrics: { podAnnotations: false },
  extraEnv: [{ name: 'CENTRIFUGO_LOG_LEVEL', value: 'debug' }],
  edge: {
    replicaCount: 4,
    autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 20, targetCPUUtilizationPercentage: 0, targetMemoryUtilizationPercentage: 80 },
    podDisruptionBudget: { enabled: true, minAvailable: 2 },
    service: { type: 'LoadBalancer', port: 443, annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' } },
    nodeSelector: { pool: 'edge' },
  },
  api: { podDisruptionBudget: { enabled: true }, autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 } },
  proxyDispatcher: { enabled: false },
  presenceHistory: { replicaCount: 3, extraArgs: ['--log.level', 'warn'] },
};

test('helm - the chart lints strictly with the default and with non-default values', () => {
  for (const args of [[], ['-f', valuesFile('lint', NON_DEFAULT)]]) {
    const r = runHelm(['lint', '--strict', '--kube-version', KUBE_VERSION, chart, ...args]);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

test('helm - default values render schema-valid objects: a Deployment per service over one ConfigMap, Services for edge and api, a PDB for the edges, a Secret for the keys', () => {
  const objects = render();
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
    'ConfigMap/rel-gyre-config',
    'Deployment/rel-gyre-api', 'Deployment/rel-gyre-edge', 'Deployment/rel-gyre-presence-history', 'Deployment/rel-gyre-proxy-dispatcher',
    'PodDisruptionBudget/rel-gyre-edge',
    'Secret/rel-gyre',
    'Service/rel-gyre-api', 'Service/rel-gyre-edge',
    'ServiceAccount/rel-gyre',
  ]);
  checkWiring(objects, { services: ['edge', 'api', 'proxy-dispatcher', 'presence-history'], http: 8000, internal: 9000, configMap: 'rel-gyre-config' });
  assert.equal(only(objects, 'Deployment', 'edge').spec.replicas, 2);
  assert.equal(only(objects, 'Service', 'edge').spec.ports[0].port, 8000);
  assert.deepEqual(only(objects, 'Service', 'api').spec.ports.map((p: { port: number }) => p.port), [9000], 'no GRPC port unless enabled');
  assert.equal(only(objects, 'PodDisruptionBudget').spec.maxUnavailable, 1);
  assert.equal(only(objects, 'PodDisruptionBudget').spec.unhealthyPodEvictionPolicy, 'AlwaysAllow', 'unready edges (Redis down) do not block a node drain');
  const secret = secretData(objects)['rel-gyre']!;
  assert.deepEqual(Object.keys(secret).sort(), ['api-key', 'hmac-secret-key']);
  assert.ok(secret['api-key']!.length >= 32 && secret['hmac-secret-key']!.length >= 32, 'generated keys are long');
  const d = only(objects, 'Deployment', 'edge');
  assert.equal(d.spec.template.spec.containers[0].image, 'gyre:0.1.0');
  assert.equal(d.spec.template.metadata.annotations['prometheus.io/port'], '9000');
});

test('helm - the ConfigMap config.json loads strictly with @gyre/config: bus on NATS, store on Redis, health on, the keys from the Secret environment', () => {
  const objects = render(['--set', 'secrets.hmacSecretKey=hmac-from-values', '--set', 'secrets.apiKey=api-from-values']);
  const secrets = secretData(objects);
  for (const comp of ['edge', 'api', 'proxy-dispatcher', 'presence-history']) {
    const c = only(objects, 'Deployment', comp).spec.template.spec.containers[0];
    const config = loadRendered(objects, podEnv(c, secrets));
    assert.equal(config.gyre.bus.type, 'nats');
    assert.equal(config.gyre.bus.nats.url, 'nats://nats:4222');
    assert.equal(config.gyre.store.type, 'redis');
    assert.equal(config.gyre.store.redis.address, 'redis://redis:6379');
    assert.equal(config.health.enabled, true);
    assert.equal(config.prometheus.enabled, true);
    assert.equal(config.shutdown.timeout, 20_000);
    assert.equal(config.client.token.hmac_secret_key, comp === 'edge' ? 'hmac-from-values' : '');
    assert.equal(config.http_api.key, comp === 'api' ? 'api-from-values' : '');
  }
});

test('helm - non-default values (HPA, GRPC API, existing Secrets, PDB minAvailable, native preStop sleep, other ports, a service disabled) render schema-valid, wired objects', () => {
  const objects = render(['-f', valuesFile('custom', NON_DEFAULT)]);
  assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
    'ConfigMap/rt-config',
    'Deployment/rt-api', 'Deployment/rt-edge', 'Deployment/rt-presence-history',
    'HorizontalPodAutoscaler/rt-api', 'HorizontalPodAutoscaler/rt-edge',
    'PodDisruptionBudget/rt-api', 'PodDisruptionBudget/rt-edge',
    'Service/rt-api', 'Service/rt-edge',
  ], 'no Secret (existing), no ServiceAccount (existing), no proxy-dispatcher');
  // presence-history's extra args come after the service flag; checkWiring wants the plain args.
  const ph = only(objects, 'Deployment', 'presence-history').spec.template.spec.containers[0];
  assert.deepEqual(ph.args.slice(5), ['--log.level', 'warn']);
  ph.args = ph.args.slice(0, 5);
  checkWiring(objects, { services: ['edge', 'api', 'presence-history'], http: 8080, internal: 9090, configMap: 'rt-config' });

  const edge = only(objects, 'Deployment', 'edge');
  const pod = edge.spec.template.spec;
  assert.equal(pod.serviceAccountName, 'existing-sa');
  assert.deepEqual(pod.nodeSelector, { pool: 'edge' });
  assert.equal(pod.containers[0].image, 'registry.example.com/gyre:1.2.3');
  assert.deepEqual(pod.containers[0].lifecycle.preStop, { sleep: { seconds: 15 } });
  assert.equal(pod.terminationGracePeriodSeconds, 60);
  assert.equal(edge.spec.template.metadata.annotations['prometheus.io/scrape'], undefined);
  assert.deepEqual(only(objects, 'PodDisruptionBudget', 'edge').spec.minAvailable, 2);
  const hpa = only(objects, 'HorizontalPodAutoscaler', 'edge').spec;
  assert.deepEqual([hpa.minReplicas, hpa.maxReplicas, hpa.metrics.map((m: { resource: { name: string } }) => m.resource.name)], [3, 20, ['memory']]);
  assert.equal(hpa.behavior.scaleDown.stabilizationWindowSeconds, 900, 'edges scale down slowly');
  const edgeSvc = only(objects, 'Service', 'edge');
  assert.equal(edgeSvc.spec.type, 'LoadBalancer');
  assert.deepEqual(edgeSvc.spec.ports.map((p: { port: number; targetPort: string }) => [p.port, p.targetPort]), [[443, 'http']]);
  const apiSvc = only(objects, 'Service', 'api');
  assert.deepEqual(apiSvc.spec.ports.map((p: { port: number; targetPort: string }) => [p.port, p.targetPort]), [[9000, 'internal'], [10000, 'grpc']]);
  const apiContainer = only(objects, 'Deployment', 'api').spec.template.spec.containers[0];
  assert.equal(apiContainer.ports.find((p: { name: string }) => p.name === 'grpc').containerPort, 10001);

  // Keys and dependency URLs from the existing Secrets.
  const secrets = { 'gyre-keys': { 'hmac-secret-key': 'h', 'api-key': 'k' }, 'gyre-deps': { nats: 'nats://user:pw@nats.secret:4222', redis: 'redis://:pw@redis.secret:6379' } };
  const apiConfig = loadRendered(objects, podEnv(apiContainer, secrets));
  assert.equal(apiConfig.gyre.bus.nats.url, 'nats://user:pw@nats.secret:4222', 'the Secret URL wins over the ConfigMap');
  assert.equal(apiConfig.gyre.store.redis.address, 'redis://:pw@redis.secret:6379');
  assert.equal(apiConfig.http_api.key, 'k');
  assert.equal(apiConfig.grpc_api.key, 'k', 'GRPC API protected by the same key');
  assert.deepEqual([apiConfig.grpc_api.enabled, apiConfig.grpc_api.port], [true, 10001]);
  assert.equal(apiConfig.log.level, 'debug', 'extraEnv reaches the config');
  const edgeConfig = loadRendered(objects, podEnv(pod.containers[0], secrets));
  assert.equal(edgeConfig.client.token.hmac_secret_key, 'h');
  assert.deepEqual(edgeConfig.client.allowed_origins, ['https://app.example.com']);
  assert.equal(edgeConfig.channel.namespaces[0]?.name, 'chat');
  assert.equal(edgeConfig.shutdown.timeout, 30_000);
  const raw = JSON.parse(configJson(objects)) as { http_server: { port: number }; gyre: { bus: { type: string } } };
  assert.deepEqual([raw.http_server.port, raw.gyre.bus.type], [8080, 'nats'], 'chart-owned keys win over config');
});

test('helm - refuses values that would break the cluster: secrets in the ConfigMap, a grace period shorter than the drain, native sleep on old Kubernetes, wrong types', () => {
  const cases: [string[], RegExp][] = [
    [['--set', 'config.client.token.hmac_secret_key=oops'], /config\.client\.token\.hmac_secret_key: secrets do not go into the ConfigMap/],
    [['--set', 'config.http_api.key=oops'], /config\.http_api\.key: secrets do not go into the ConfigMap/],
    [['--set', 'terminationGracePeriodSeconds=25'], /terminationGracePeriodSeconds \(25\) must exceed/],
    [['--set', 'shutdown.preStopMode=sleep', '--kube-version', '1.29.0'], /needs Kubernetes 1\.30/],
    [['--set', 'edge.replicaCount=many'], /edge\/replicaCount/],
    [['--set', 'nats.url=http://nats:4222'], /nats\/url/],
    [['--set', 'edge.autoscaling.enabled=true', '--set', 'edge.autoscaling.targetCPUUtilizationPercentage=0'], /edge\.autoscaling: set targetCPUUtilizationPercentage/],
  ];
  for (const [args, error] of cases) {
    const r = runHelm(['template', 'rel', chart, '--kube-version', KUBE_VERSION, ...args]);
    assert.notEqual(r.status, 0, `${args.join(' ')} rendered`);
    assert.match(r.stderr, error);
    assert.ok(!r.stderr.includes('oops') || /secrets do not go/.test(r.stderr), 'the refused secret value is not echoed');
  }
});

test('helm - the rendered pods run: each Deployment\'s args, env and ConfigMap as a local process against real NATS and Redis turn ready on the probe port, and a client token and the API key from the Secret work', async () => {
  const objects = render();
  const secrets = secretData(objects);
  const configPath = join(scratch, 'pod-config.json');
  writeFileSync(configPath, configJson(objects));
  let nats: ServerHandle | undefined;
  let redis: ServerHandle | undefined;
  const procs: GyreProcess[] = [];
  const ports = new Map<string, { http: number; internal: number }>();
  try {
    [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
    await Promise.all(ofKind(objects, 'Deployment').map(async (d) => {
      const c = d.spec.template.spec.containers[0];
      const p = { http: await freePort(), internal: await freePort() };
      ports.set(component(d), p);
      // The pod's own args with the ConfigMap's file; only what differs between a pod and a
      // process on this host is overridden: the ports (pods each have their own IP) and where
      // NATS and Redis are, through the same variables the chart uses for URLs from a Secret.
      const args = [...c.args.slice(1).map((a: string) => (a === '/etc/gyre/config.json' ? configPath : a)), '-p', String(p.http), '--http_server.internal_port', String(p.internal)];
      const env = { ...podEnv(c, secrets), GYRE_BUS_NATS_URL: nats!.url, GYRE_STORE_REDIS_ADDRESS: redis!.url };
      // spawnGyre waits for /health on the port of its own config: the internal one, as the probe does.
      procs.push(await spawnGyre({ config: { http_server: { port: p.internal } }, args, env, readyTimeoutMs: 30_000 }));
    }));
    for (const d of ofKind(objects, 'Deployment')) {
      const c = d.spec.template.spec.containers[0];
      const p = ports.get(component(d))!;
      const probePort = (name: string): number => (name === 'internal' ? p.internal : name === 'http' ? p.http : Number.NaN);
      const live = await fetch(`http://127.0.0.1:${probePort(c.livenessProbe.httpGet.port)}${c.livenessProbe.httpGet.path}`);
      assert.equal(live.status, 200, `${component(d)} liveness`);
      const deadline = Date.now() + 15_000;
      for (;;) {
        const ready = await fetch(`http://127.0.0.1:${probePort(c.readinessProbe.httpGet.port)}${c.readinessProbe.httpGet.path}`);
        if (ready.status === 200) break;
        assert.ok(Date.now() < deadline, `${component(d)} not ready: ${await ready.text()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const key = secrets['rel-gyre']!;
    const client = createCentrifuge(`ws://127.0.0.1:${ports.get('edge')!.http}/connection/websocket`, {
      token: generateConnectToken({ hmacSecretKey: key['hmac-secret-key']!, user: 'u', ttlSeconds: 0 }),
    });
    try {
      const connected = waitForEvent(client, 'connected', 10_000);
      client.connect();
      await connected;
      // The chart's default config lets no client subscribe on its own (Centrifugo's default):
      // a subscription token signed with the Secret's key does.
      const sub = client.newSubscription('news', { token: generateSubscriptionToken({ hmacSecretKey: key['hmac-secret-key']!, user: 'u', channel: 'news', ttlSeconds: 0 }) });
      const subscribed = waitForEvent(sub, 'subscribed', 10_000);
      sub.subscribe();
      await subscribed;
      const got = collect<{ data: unknown; offset: number }>(sub, 'publication', 1, 10_000);
      const res = await fetch(`http://127.0.0.1:${ports.get('api')!.internal}/api/publish`, {
        method: 'POST',
        headers: { 'X-API-Key': key['api-key']!, connection: 'close' },
        body: JSON.stringify({ channel: 'news', data: { via: 'api service' } }),
      });
      assert.equal(res.status, 200);
      const published = (await res.json()) as { result: { offset: number; epoch: string } };
      assert.equal(published.result.offset, 1, 'history in Redis through presence-history');
      assert.ok(published.result.epoch);
      const pub = (await got)[0]!;
      assert.deepEqual([pub.offset, pub.data], [1, { via: 'api service' }]);
      const wrongKey = await fetch(`http://127.0.0.1:${ports.get('api')!.internal}/api/info`, { method: 'POST', headers: { 'X-API-Key': 'wrong', connection: 'close' }, body: '{}' });
      assert.equal(wrongKey.status, 401);
    } finally {
      client.disconnect();
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 10_000)));
    await Promise.all([nats?.stop(), redis?.stop()]);
  }
});
