using System.Text;

namespace GenCluster.Models.ChatTemplates;

/// <summary>Executes parsed template statements into text (expressions in TemplateEvaluator.Expressions.cs).</summary>
sealed partial class TemplateEvaluator
{
    enum Flow { Normal, Break, Continue }

    /// <summary>Renders a statement list with the given root variables.</summary>
    public static string Render(List<Node> template, TemplateScope root)
    {
        var output = new StringBuilder();
        new TemplateEvaluator().Execute(template, root, output);
        return output.ToString();
    }

    Flow Execute(List<Node> body, TemplateScope scope, StringBuilder output)
    {
        foreach (var node in body)
        {
            var flow = Execute(node, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    Flow Execute(Node node, TemplateScope scope, StringBuilder output)
    {
        try
        {
            return ExecuteStatement(node, scope, output);
        }
        catch (TemplateRuntimeException e) when (e.Line == null)
        {
            throw new TemplateRuntimeException(e.Reason, node.Line); // innermost statement names the line
        }
    }

    Flow ExecuteStatement(Node node, TemplateScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputNode o:
                output.Append(PyValue.Str(Eval(o.Value, scope)));
                return Flow.Normal;
            case IfNode f:
                foreach (var (condition, branch) in f.Branches)
                    if (PyValue.IsTruthy(Eval(condition, scope))) return Execute(branch, scope, output);
                return Execute(f.Else, scope, output);
            case ForNode f:
                ExecuteFor(f, scope, output);
                return Flow.Normal;
            case SetNode s:
                Assign(s.Target, Eval(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode s:
                var captured = new StringBuilder();
                Execute(s.Body, scope, captured);
                scope.Set(s.Name, captured.ToString());
                return Flow.Normal;
            case MacroNode m:
                scope.Set(m.Name, DefineMacro(m, scope));
                return Flow.Normal;
            case LoopControlNode c:
                return c.IsBreak ? Flow.Break : Flow.Continue;
            default:
                throw new TemplateRuntimeException($"unknown statement {node.GetType().Name}");
        }
    }

    void ExecuteFor(ForNode f, TemplateScope scope, StringBuilder output)
    {
        var items = new List<object?>();
        foreach (var item in TemplateMembers.Iterate(Eval(f.Iterable, scope)))
        {
            if (f.Filter != null)
            {
                var probe = new TemplateScope(scope);
                BindTargets(f.Targets, item, probe);
                if (!PyValue.IsTruthy(Eval(f.Filter, probe))) continue;
            }
            items.Add(item);
        }
        if (items.Count == 0)
        {
            Execute(f.Else, scope, output);
            return;
        }
        var loop = new LoopContext(items);
        for (int i = 0; i < items.Count; i++)
        {
            var frame = new TemplateScope(scope);
            loop.Index0 = i;
            frame.Set("loop", loop);
            BindTargets(f.Targets, items[i], frame);
            if (Execute(f.Body, frame, output) == Flow.Break) break;
        }
    }

    static void BindTargets(List<string> targets, object? item, TemplateScope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], item);
            return;
        }
        var values = TemplateMembers.Iterate(item).ToList();
        if (values.Count != targets.Count)
            throw new TemplateRuntimeException($"cannot unpack {values.Count} values into {targets.Count} names");
        for (int i = 0; i < targets.Count; i++) scope.Set(targets[i], values[i]);
    }

    void Assign(Expr target, object? value, TemplateScope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                break;
            case ListExpr names:
                BindTargets(names.Items.Select(e => ((NameExpr)e).Name).ToList(), value, scope);
                break;
            case AttrExpr { Target: NameExpr owner } a:
                if (scope.Lookup(owner.Name) is not Namespace ns)
                    throw new TemplateRuntimeException($"cannot assign attribute on non-namespace object '{owner.Name}'");
                ns.Attributes[a.Name] = value;
                break;
            default:
                throw new TemplateRuntimeException("invalid assignment target");
        }
    }

    Callable DefineMacro(MacroNode m, TemplateScope definingScope) => new(m.Name, (args, kwargs) =>
    {
        var frame = new TemplateScope(definingScope);
        for (int i = 0; i < m.Parameters.Count; i++)
        {
            var (name, fallback) = m.Parameters[i];
            object? value = i < args.Count ? args[i]
                : kwargs.TryGetValue(name, out var kw) ? kw
                : fallback != null ? Eval(fallback, frame)
                : Undefined.Of(name);
            frame.Set(name, value);
        }
        frame.Set("varargs", args.Skip(m.Parameters.Count).ToList());
        var output = new StringBuilder();
        Execute(m.Body, frame, output);
        return output.ToString();
    });
}
