import { hello } from '@gyre/observability';
export const greet = (): string => hello();
