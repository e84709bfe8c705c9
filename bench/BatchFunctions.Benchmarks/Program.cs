using BatchFunctions.Benchmarks;

// bench: generate inputs at run time and measure validate, split and merge, each in a child process
// pinned to one core, so that its throughput and peak memory are its own.
return args is ["measure", .. var rest]
    ? await Measurement.RunAsync(rest)
    : await BenchmarkRunner.RunAsync(args);
