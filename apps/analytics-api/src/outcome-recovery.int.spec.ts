import { describeOutcomeRecovery } from './testing/outcome-recovery';

// The generator's default planted effects: crisis x0.7, A&E x0.8 after the index date.
describeOutcomeRecovery('recovery-a', {});
