// Training sets process-wide torch state (set_num_threads, manual_seed) that test classes running side by side would
// share: LmTrainerTests' interrupted-and-resumed run failed to match the straight run now and then under the full
// suite (2 of 3 fresh-clone CI runs in session 3) and never alone. The assembly's tests take about two seconds, so
// they run one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
