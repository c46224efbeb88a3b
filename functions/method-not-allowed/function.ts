import { methodFallbackFunction } from '../../shared/function-model/declaration.ts';

export const declaration = methodFallbackFunction({
  name: 'method-not-allowed',
  summary:
    'Answers 405 METHOD_NOT_ALLOWED with Allow for a known path called with a method it does not route',
  access: {},
});
