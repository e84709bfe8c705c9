using BatchFunctions.MistralEmulator;

var app = MistralEmulatorApp.Build(args);
app.Run();
