export { main } from './main.js';
export { startNode, type GyreNode, type StartNodeOptions } from './node.js';
export { startGyreInProcess, type InProcessGyre, type InProcessOptions } from './embedded.js';
export { VERSION, CENTRIFUGO_COMPAT } from './version.js';
