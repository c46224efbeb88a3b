import { webSocketAuthorizer } from '../../shared/function-model/declaration.ts';

export const declaration = webSocketAuthorizer({
  name: 'realtime-authorizer',
  summary: "Verifies a WebSocket client's ID token (either user pool) on $connect",
  access: {},
});
