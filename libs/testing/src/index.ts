export { BinaryNotFoundError, findBinary } from './binaries.js';
export { freePort } from './ports.js';
export { keepAlive, makeTempDir, processExists, releaseTempDir, runningChildren, spawnTracked, type TrackedChild } from './processes.js';
export { startServer, type ServerHandle, type ServerKind, type StartServerOptions } from './server_process.js';
export { startNatsServer, type StartNatsServerOptions } from './nats_server.js';
export { startRedisServer, type StartRedisServerOptions } from './redis_server.js';
export { REPO_ROOT, gyreBinPath, spawnGyre, type GyreProcess, type SpawnGyreOptions } from './gyre.js';
export { createCentrifuge, toWebsocketEndpoint, type CentrifugeProtocol, type CreateCentrifugeOptions } from './centrifuge.js';
export { WaitTimeoutError, collect, sleep, waitFor, waitForEvent, type EmitterLike, type ListenableLike } from './wait.js';
