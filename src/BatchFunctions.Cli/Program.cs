using BatchFunctions.Cli;

return await BatchFnApp.RunAsync(args, Console.Out, Console.Error);
