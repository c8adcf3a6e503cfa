using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Neurite.Tests.Distributed;

/// <summary>
/// Two "hosts" on one machine: two network namespaces joined by a veth pair, addresses only on that pair. mpirun runs
/// in the first, reaches the second through its rsh launcher (an agent that enters the namespace instead of ssh), and
/// the ranks talk TCP over the pair alone, as two machines on a network would.
/// </summary>
[Collection(MpirunCollection.Name)]
public sealed class TwoHostTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("neurite-hosts-").FullName;
    private readonly string _suffix = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private string HostA => "neurite-a" + _suffix;

    private string HostB => "neurite-b" + _suffix;

    public void Dispose()
    {
        Sh($"ip netns del {HostA}; ip netns del {HostB}", check: false);
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public void Two_ranks_in_two_network_namespaces_train_the_model_one_process_trains()
    {
        File.WriteAllText(Path.Combine(_work, "spec.json"), """
            {"input": [2], "layers": [{"type": "linear", "out": 16}, {"type": "tanh"}, {"type": "linear", "out": 2}],
             "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}, "epochs": 3, "seed": 5,
             "data": {"source": "spirals:n=400,test=100"}}
            """);
        string cli = Path.Combine(AppContext.BaseDirectory, "Neurite.Cli.dll");
        Sh($"dotnet {cli} train spec.json --batch-size 16 --out one/m.safetensors --json");

        // A veth pair between two fresh namespaces: 10.78.0.1 and 10.78.0.2, nothing else but their loopbacks. Where
        // namespaces cannot be made (no root, no iproute2), the two ranks run on loopback instead, and the output says so.
        if (!Sh($"ip netns add {HostA}", check: false).Ok)
        {
            output.WriteLine("network namespaces unavailable here: ran two processes on loopback instead");
            Sh($"mpirun --allow-run-as-root --oversubscribe -np 2 -x TERM=dumb dotnet {cli} train spec.json --distributed --batch-size 8 --out two/m.safetensors --json");
            AssertSameModel();
            return;
        }
        string a = "vna" + _suffix, b = "vnb" + _suffix;
        Sh($"ip netns add {HostB} && ip link add {a} type veth peer name {b}"
            + $" && ip link set {a} netns {HostA} && ip link set {b} netns {HostB}"
            + $" && ip -n {HostA} addr add 10.78.0.1/24 dev {a} && ip -n {HostB} addr add 10.78.0.2/24 dev {b}"
            + $" && ip -n {HostA} link set {a} up && ip -n {HostB} link set {b} up"
            + $" && ip -n {HostA} link set lo up && ip -n {HostB} link set lo up");
        File.WriteAllText(Path.Combine(_work, "hosts"), $"{HostA} slots=1\n{HostB} slots=1\n");
        File.WriteAllText(Path.Combine(_work, "agent.sh"), "#!/bin/sh\n# Open MPI's launcher calls: agent HOST COMMAND…; HOST is a network namespace.\n"
            + "# Both \"hosts\" share this machine's /tmp: the remote daemon gets session directories of its own, or it races\n"
            + "# mpirun to create the same one (\"mkdir … File exists\").\n"
            + "host=\"$1\"; shift\nexport OMPI_MCA_orte_tmpdir_base=\"$(dirname \"$0\")/session-$host\"\nmkdir -p \"$OMPI_MCA_orte_tmpdir_base\"\n"
            + "exec ip netns exec \"$host\" sh -c \"$*\"\n");
        Sh("chmod +x agent.sh");
        // rtc_hwloc_vmhole none: the second "host"'s daemon does not map mpirun's shared topology at a fixed address
        // (Open MPI 4.1's orted crashed there once, in hwloc_shmem_topology_write, while another mpirun ran).
        string network = "--mca btl tcp,self --mca btl_tcp_if_include 10.78.0.0/24 --mca oob_tcp_if_include 10.78.0.0/24 --mca rtc_hwloc_vmhole none";
        string mpirun = $"ip netns exec {HostA} mpirun --allow-run-as-root --hostfile hosts -np 2 --mca plm_rsh_agent {_work}/agent.sh {network} -x TERM=dumb";

        string where = Sh($"{mpirun} sh -c 'echo rank $OMPI_COMM_WORLD_RANK at $(ip -o -4 addr show | grep -o \"10\\.78\\.0\\.[0-9]\")'");
        output.WriteLine($"ran across two network namespaces (a veth pair): {where.Replace('\n', ';')}");
        Assert.Contains("rank 0 at 10.78.0.1", where);
        Assert.Contains("rank 1 at 10.78.0.2", where);

        Sh($"{mpirun} dotnet {cli} train spec.json --distributed --batch-size 8 --out two/m.safetensors --json");
        AssertSameModel();
    }

    private void AssertSameModel() =>
        MpiTrainingTests.AssertSameWeights(Path.Combine(_work, "one", "m.safetensors"), Path.Combine(_work, "two", "m.safetensors"), "two hosts");

    /// <summary>Runs a shell command in the work folder; fails the test with its output when it fails (unless told not to).</summary>
    private (bool Ok, string Text) Sh(string command, bool check)
    {
        var info = new ProcessStartInfo("sh") { WorkingDirectory = _work, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish in 3 minutes");
        }
        string text = stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult();
        Assert.True(!check || process.ExitCode == 0, $"{command} exited with {process.ExitCode}:\n{text}");
        return (process.ExitCode == 0, text);
    }

    private string Sh(string command) => Sh(command, check: true).Text;
}
