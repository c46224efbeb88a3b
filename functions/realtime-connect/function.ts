import { webSocketFunction } from '../../shared/function-model/declaration.ts';

export const declaration = webSocketFunction({
  name: 'realtime-connect',
  summary: 'Records an authorized WebSocket connection under its user (2-hour TTL)',
  route: '$connect',
  access: { table: { write: ['connection'] } },
});
