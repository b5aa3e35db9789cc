/** GET /api/v1/devices/:id: one device (the dashboard's device page). */
import { getDevice } from '../../store/index.js';
import { viewerOf } from '../auth.js';
import { HttpError, route, type ServerContext } from '../route.js';
import { Id } from './common.js';

export default function deviceRoutes(ctx: ServerContext) {
  return [
    route({
      method: 'GET', url: '/api/v1/devices/:id', tag: 'read', access: 'viewer', summary: 'One device seen in events', params: Id,
      errors: { 404: 'no such device in your scope' },
      handler: async ({ params, principal }) => {
        const device = await getDevice(ctx.store, viewerOf(principal), params.id);
        if (!device) throw new HttpError(404, 'device.unknown', `no device ${params.id}`);
        return { device };
      },
    }),
  ];
}
