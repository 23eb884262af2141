/**
 * Opens the backup form, from `/cloudphone backup` or the App Home's "Back up…" button: the starting endpoint is the
 * typed instances' region's (the trigger id lives 3 s; the lookup waits less), and the fleet listing the instance
 * picker searches starts loading while the person fills the form in. Call after the ack and the permission check.
 */
import type { WebClient } from '@slack/web-api';
import { buildBackupModal } from '../blocks/backup-modal.js';
import { UPLOAD_ENDPOINTS } from '../cloud-phone/regions.js';
import type { ModalDefaults, Services } from '../services/index.js';

export async function openBackupForm(
  services: Services,
  client: WebClient,
  input: { triggerId: string; channelId: string; prefill: string[]; defaults: ModalDefaults },
): Promise<void> {
  const uploadEndpoint = await services.uploadRegions.endpointFor(input.prefill, input.defaults.uploadEndpoint);
  await client.views.open({
    trigger_id: input.triggerId,
    view: buildBackupModal({
      prefill: { instanceIds: input.prefill },
      defaults: { ...input.defaults, uploadEndpoint },
      endpoints: UPLOAD_ENDPOINTS,
      privateMetadata: JSON.stringify({ channelId: input.channelId }),
      simulated: services.simulated,
    }),
  });
  // The form's instance picker searches a listing of the fleet; start it now, while the person fills in the form.
  services.warmInstanceList();
}
