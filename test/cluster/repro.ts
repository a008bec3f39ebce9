/**
 * Reproductions of service bugs the cluster tier found, kept out of the suite until they are fixed
 * (each case exits 1 while the bug is there, 0 once it is gone; then its check moves into a test):
 *
 *   node --conditions=gyre-source --import tsx test/cluster/repro.ts channels
 *   node --conditions=gyre-source --import tsx test/cluster/repro.ts info-nodes
 *
 * - channels: the server API `channels` over two edges waits the whole 10 s survey timeout and
 *   counts the subscribers of one edge only. The edge answers the ChannelsSurvey with a bus reply
 *   (services/edge/src/node_info.ts onSurvey: msg.respond) instead of publishing to the survey's
 *   reply_subject, and a bus request delivers only its first reply (services/api/src/channels_survey.ts).
 * - info-nodes: `info` lists api and edge processes only. presence-history and proxy-dispatcher
 *   processes send no NodeInfo heartbeat (ARCHITECTURE.md: `gyre.node`, every service → api), and
 *   edges report `version` without the " OSS" suffix the api node reports.
 */
import { Cluster, EdgeBalancer } from './cluster.js';

type Case = (cluster: Cluster) => Promise<string[]>;

const cases: Record<string, Case> = {
  async channels(cluster) {
    const urls = cluster.edgeUrls();
    for (const start of [0, 1]) {
      const client = await cluster.connectedClient(new EdgeBalancer(urls, start), 'json', `u${start}`);
      const sub = client.newSubscription('room');
      await new Promise((resolve) => {
        sub.once('subscribed', resolve);
        sub.subscribe();
      });
    }
    const started = Date.now();
    const result = await cluster.apiResult<{ channels: Record<string, { num_clients: number }> }>('channels', {});
    const took = Date.now() - started;
    const problems: string[] = [];
    if (result.channels.room?.num_clients !== 2) problems.push(`channels.room = ${JSON.stringify(result.channels.room)}, want { num_clients: 2 } (one subscriber per edge)`);
    if (took > 5000) problems.push(`channels took ${took} ms: the survey ran into its timeout`);
    return problems;
  },

  async ['info-nodes'](cluster) {
    const { nodes } = await cluster.apiResult<{ nodes: { name: string; version: string }[] }>('info', {});
    const problems: string[] = [];
    for (const label of cluster.labels) {
      const node = nodes.find((n) => n.name.endsWith(`_${cluster.get(label).port}`));
      if (!node) problems.push(`${label} process missing from info`);
    }
    const versions = new Set(nodes.map((n) => n.version));
    if (versions.size > 1) problems.push(`nodes of one build report different versions: ${[...versions].join(' / ')}`);
    return problems;
  },
};

const name = process.argv[2] ?? '';
const run = cases[name];
if (!run) {
  console.error(`usage: repro.ts ${Object.keys(cases).join('|')}`);
  process.exit(2);
}
const cluster = await Cluster.start();
let problems: string[];
try {
  await cluster.spawnAll();
  // Every process sends (or not) its first heartbeat at start; give the slowest one a beat.
  await new Promise((r) => setTimeout(r, 3500));
  problems = await run(cluster);
} finally {
  await cluster.stop();
}
for (const p of problems) console.log(`BUG ${name}: ${p}`);
console.log(problems.length ? `${name}: ${problems.length} problem(s)` : `${name}: fixed`);
process.exit(problems.length ? 1 : 0);
