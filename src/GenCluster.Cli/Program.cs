return await GenCluster.Cli.CliApp.RunAsync(args, Console.Out, Console.Error);
