export { createLogger, silentLogger, type Logger, type LogLevel, type LoggerOptions } from './logger.js';
export { Health, type ReadinessCheck, type ReadinessReport } from './health.js';
export { createMetrics, type Metrics } from './metrics.js';
export { SERVICE_NAMES, type ServiceHandle, type ServiceName } from './lifecycle.js';
