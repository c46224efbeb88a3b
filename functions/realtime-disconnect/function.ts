import { webSocketFunction } from '../../shared/function-model/declaration.ts';

export const declaration = webSocketFunction({
  name: 'realtime-disconnect',
  summary: 'Forgets a closed WebSocket connection',
  route: '$disconnect',
  access: { table: { write: ['connection'] } },
});
