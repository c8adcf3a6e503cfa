Console.WriteLine("Neurite benchmarks");
