using GenCluster.Decoding.Medusa;

namespace GenCluster.Decoding.Tests.Medusa;

/// <summary>Medusa candidate trees: ordering, parents, the sparse default and parsing.</summary>
public class MedusaTreeTests
{
    [Fact]
    public void SparseTreeKeepsParentsBeforeChildrenAndPrefersLowRanks()
    {
        var tree = MedusaTree.Sparse(heads: 4, maxNodes: 24, topK: 8);
        Assert.Equal(24, tree.Paths.Count);
        for (int i = 0; i < tree.Paths.Count; i++)
            if (tree.Parents[i] >= 0) Assert.Equal(tree.Paths[i][..^1], tree.Paths[tree.Parents[i]]);
        Assert.Equal([0], tree.Paths[0]);
        Assert.Contains(tree.Paths, p => p.SequenceEqual(new[] { 0, 0 }));
        Assert.DoesNotContain(tree.Paths, p => p.Length > 4);
        Assert.True(tree.Depth >= 3, $"depth {tree.Depth}");
    }

    [Fact]
    public void ParsedTreesNeedEveryPrefixAndTruncateByDepth()
    {
        var tree = MedusaTree.Parse("0,1;0;1;0,0;0,1,0");
        Assert.Equal(new[] { "0", "1", "0,0", "0,1", "0,1,0" }, tree.Paths.Select(p => string.Join(",", p)));
        Assert.Equal([-1, -1, 0, 0, 3], tree.Parents);
        Assert.Equal([2, 2, 1], tree.TopK);
        Assert.Equal(2, tree.Truncate(2)!.Depth);
        Assert.Null(tree.Truncate(0));
        Assert.Throws<ArgumentException>(() => MedusaTree.Parse("0;1,0"));
        Assert.Throws<FormatException>(() => MedusaTree.Parse("a"));
    }
}
