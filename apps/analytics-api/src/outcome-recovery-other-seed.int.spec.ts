import { describeOutcomeRecovery } from './testing/outcome-recovery';

// Another population and other effect sizes.
describeOutcomeRecovery('recovery-b', { crisis: 0.5, ae: 0.7 });
