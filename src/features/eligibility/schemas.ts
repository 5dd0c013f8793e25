import { z } from 'zod';
import { formToken } from '../../lib/forms.js';

/** The re-confirmation page's one button: send me a fresh link. */
export const ReconfirmRequestForm = z.strictObject({ _csrf: z.string(), form_token: formToken });
export type ReconfirmRequestForm = z.infer<typeof ReconfirmRequestForm>;

/** The bounce banner's button: try my address again. */
export const RetryAddressForm = z.strictObject({ _csrf: z.string() });
export type RetryAddressForm = z.infer<typeof RetryAddressForm>;

/** Fresh links a member may ask for in an hour: each is an email to their address. */
export const RECONFIRM_LINKS_PER_HOUR = 3;
