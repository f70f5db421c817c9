import { NotFoundError, ValidationError } from '../../errors.js';
import type { RegistrationCreated, RegistrationDeleted, RegistrationUpdated } from '../events.js';
import type { UserModule } from '../module.js';
import type { CreateRegistration, DeleteRegistration, UpdateRegistration } from '../commands.js';
import type { UserState } from '../state.js';
import type { Registration } from '../types.js';
import { existing } from './profile.js';

const withRegistrations = (state: UserState, registrations: Registration[], instant?: number): UserState => ({
  ...state,
  user: { ...state.user!, registrations, ...(instant !== undefined && { lastUpdateInstant: instant }) },
});

/** Registrations of a user to applications (FusionAuth's Registration API), one per application. */
export const registrationsModule: UserModule = {
  decide: {
    CreateRegistration(raw, state) {
      const command = raw as unknown as CreateRegistration;
      const user = existing(state);
      if (user.registrations?.some((r) => r.applicationId === command.registration.applicationId)) {
        throw ValidationError.field('registration.applicationId', 'duplicate', 'The user is already registered for this application.');
      }
      const event: RegistrationCreated = { type: 'RegistrationCreated', data: { userId: user.id, tenantId: user.tenantId, registration: command.registration, ...(command.info && { info: command.info }) } };
      return [event];
    },
    UpdateRegistration(raw, state) {
      const command = raw as unknown as UpdateRegistration;
      const user = existing(state);
      const previous = user.registrations?.find((r) => r.applicationId === command.registration.applicationId);
      if (!previous) throw new NotFoundError('registration');
      const event: RegistrationUpdated = { type: 'RegistrationUpdated', data: { userId: user.id, tenantId: user.tenantId, registration: command.registration, previous, ...(command.info && { info: command.info }) } };
      return [event];
    },
    DeleteRegistration(raw, state) {
      const command = raw as unknown as DeleteRegistration;
      const user = existing(state);
      const registration = user.registrations?.find((r) => r.applicationId === command.applicationId);
      if (!registration) throw new NotFoundError('registration');
      const event: RegistrationDeleted = { type: 'RegistrationDeleted', data: { userId: user.id, tenantId: user.tenantId, registration, ...(command.info && { info: command.info }) } };
      return [event];
    },
  },
  evolve: {
    RegistrationCreated(state, raw) {
      const { registration } = (raw as RegistrationCreated).data;
      return withRegistrations(state, [...(state.user!.registrations ?? []), registration]);
    },
    RegistrationUpdated(state, raw) {
      const { registration } = (raw as RegistrationUpdated).data;
      return withRegistrations(state, (state.user!.registrations ?? []).map((r) => (r.applicationId === registration.applicationId ? registration : r)));
    },
    RegistrationDeleted(state, raw) {
      const { registration } = (raw as RegistrationDeleted).data;
      return withRegistrations(state, (state.user!.registrations ?? []).filter((r) => r.applicationId !== registration.applicationId));
    },
  },
};
