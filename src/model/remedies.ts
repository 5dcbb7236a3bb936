/** What a user does when the registry refuses the run's credentials. */
export const CREDENTIALS_REMEDY =
  'log in before this step (docker/login-action) or set registry-username and registry-password, with a token that may push to this repository; then re-run the workflow: it reuses what was verified and promotes the rest'
