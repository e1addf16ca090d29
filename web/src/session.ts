// Who is signed in: loaded once from GET /api/v1/user, cleared on a 401 or a logout.
import { signal } from '@preact/signals';
import { api, setUnauthorizedHandler, type User } from './api';

export const currentUser = signal<User | null | undefined>(undefined); // undefined = loading

export async function loadUser() {
  try {
    currentUser.value = await api.get<User>('/api/v1/user');
  } catch {
    currentUser.value = null;
  }
}

export async function logout() {
  try {
    await api.post('/api/v1/auth/logout');
  } finally {
    currentUser.value = null;
  }
}

setUnauthorizedHandler(() => {
  currentUser.value = null;
});
