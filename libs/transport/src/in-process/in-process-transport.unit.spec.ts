import { describeTransportContract } from '../transport.contract';
import { createInProcessTransport } from './in-process-transport';

describeTransportContract('in-process', async () => {
  const transport = createInProcessTransport();
  return { transport, cleanup: () => transport.close() };
});
