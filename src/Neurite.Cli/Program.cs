Console.WriteLine("neurite");
